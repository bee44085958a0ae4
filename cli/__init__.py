"""The coordinators' command line, ``mandates``."""
