"""What every service of Pyydä apua! shares: event schemas, the stream, the outbox, projections."""
