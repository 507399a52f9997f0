"""Package mapping for the fixed repository layout (everything else is in pyproject.toml).

The top-level folders are installed under namespaced import names: ``boards/`` as
``qboot_boards``, ``plugins/`` as ``qboot_plugins``, ``firmware/`` as ``qboot_firmware``.
Every sub-package is found automatically, so adding a plugin folder needs no change here;
its entry point goes into pyproject.toml's ``[project.entry-points.qboot_fw]``.
"""

from setuptools import find_packages, setup

ROOTS = {"qbootcore": "qbootcore", "qboot_firmware": "firmware",
         "qboot_boards": "boards", "qboot_plugins": "plugins"}

packages, package_dir = [], {}
for name, path in ROOTS.items():
    package_dir[name] = path
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(path)]

setup(packages=packages, package_dir=package_dir)
