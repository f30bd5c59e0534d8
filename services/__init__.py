"""The four services of Pyydä apua!: intake, routing, notify and reporting."""
