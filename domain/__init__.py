"""The mandate domain: pure models, events and rules.

Nothing in this package performs I/O, reads the clock or imports a driver or
framework. Timestamps are always passed in.
"""
