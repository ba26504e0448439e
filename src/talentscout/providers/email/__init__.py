"""Email infrastructure adapters used by enrichment: DNS (MX, A/AAAA) and SMTP probing.

These modules speak the protocols and classify what they hear; deciding what an
answer means for a person's address lives in `talentscout.enrichment`. Both take
their server addresses, ports and timeouts from Settings, so tests point them at
loopback servers (a dnslib DNS server, aiosmtpd SMTP servers).
"""
