"""Bundled data: templates, fonts, icons. Found with importlib.resources so the same code runs
from source and from the installer."""
