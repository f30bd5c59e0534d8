"""A realistic demo year for a region: a pure model of it, and a driver that sends it through the real APIs."""
