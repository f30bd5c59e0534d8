"""Reporting: the region's statistics, projected from the stream with no personal data at all."""
