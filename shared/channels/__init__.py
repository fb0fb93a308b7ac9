"""Phone and chat: region configurations, routing, contacts recorded by intervenants, and Amazon Connect.

See docs/CHANNELS.md for the design and the DynamoDB key design.
"""
