"""The quarterly strategy review: collect status from owners, build the pre-read, get sign-off,
publish to the business, follow the actions up."""
