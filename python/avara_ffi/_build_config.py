"""Settings recorded when the package is installed.

``make install`` replaces this file with one that sets LIBRARY_DIR to the
directory where it installed libavara, so the installed package finds the
installed library without AVARA_LIBRARY or LD_LIBRARY_PATH. In the source
tree LIBRARY_DIR is None and that lookup step is skipped.
"""

LIBRARY_DIR = None
