"""Process retrospectives: review last time's actions, collect items anonymously, group, vote,
turn the top themes into actions and follow them through."""
