"""Which packages the distribution holds: the one thing pyproject.toml cannot say here.

Every package and subpackage of the code is found, never listed, so a new one cannot be left out
of the wheel. ``templates/`` and ``examples/`` stay at the top of the repository but ship inside
the ``opsrhythm`` package (as ``opsrhythm/templates`` and ``opsrhythm/examples``), where
``opsrhythm.platform.resources`` looks for them; pyproject.toml's ``packages.find`` cannot map a
folder to a package, hence this file. Package data (every file, at any depth) and the top-level
modules are in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

CODE = ["opsrhythm", "workflows", "activities"]
DATA = {"opsrhythm.templates": "templates", "opsrhythm.examples": "examples"}
NOT_CODE = ["__pycache__", "*.__pycache__"]


def data_packages(package: str, folder: str) -> list[str]:
    # Each subfolder is named too, or setuptools warns that its files ship outside any package.
    inner = find_namespace_packages(folder, exclude=NOT_CODE)
    return [package, *(f"{package}.{name}" for name in inner)]


setup(
    # Namespace discovery: a folder of code without __init__.py (alembic's versions/, say)
    # is still a package, not silently dropped.
    packages=[
        *find_namespace_packages(
            include=[pattern for name in CODE for pattern in (name, f"{name}.*")],
            exclude=[*NOT_CODE, "tests", "tests.*", "bench", "bench.*", "docs", "docs.*"],
        ),
        *(name for package, folder in DATA.items() for name in data_packages(package, folder)),
    ],
    package_dir=DATA,
)
