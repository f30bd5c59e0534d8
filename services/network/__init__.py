"""The change agents' network: recruitment, the agents' registry, tasks, surveys and news (port 8050)."""
