"""Routing: the staff's side. Projects the region's stream into case state and the queue."""
