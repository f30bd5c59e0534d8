"""Notify: e-mail and text messages to families and staff, keyed so that each is sent once."""
