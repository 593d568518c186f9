"""Web front end of the internship platform: server-rendered pages (Django + DSFR), a client of the
gateway's public HTTP API."""
