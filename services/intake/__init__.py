"""Intake: the families' side. Accepts requests and puts them on the region's stream through its outbox."""
