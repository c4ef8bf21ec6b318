"""What the tests share: paths, the command line in process, config files, JSON envelopes,
the installed executables, and builders of small metadata files.

Test modules import from here and from ``tests.org_emulator``, never from one another
(``tests/contracts/test_test_imports.py`` checks it). Fixtures live in the conftest.py
files and in the emulator's pytest plugin, ``tests/org_emulator/fixtures.py``.
"""
