"""The version of this package, kept equal to libavara's."""

__version__ = "0.1.0"
