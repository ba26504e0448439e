"""Candidate cards (issue 9): email- and dashboard-safe HTML for profiles.

`cards` renders, `sanitize` decides what text and URLs may reach the HTML, `themes`
holds the colours and contrast maths, `service` loads visible profiles and renders
them for a company, `router` serves `POST /sourcing/render-html`, `cli` is
`talentscout render`.
"""
