"""The five services of Pyydä apua!: intake, routing, notify, reporting and the change agents' network."""
