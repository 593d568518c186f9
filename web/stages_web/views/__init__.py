"""Views, one module per audience: public (visitors), auth (login, activation, passwords, account),
pupil, employer; errors (error pages) and placeholders (routes named by e-mails whose pages are not
built yet)."""
