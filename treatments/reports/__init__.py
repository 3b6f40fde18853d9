"""Reports for managers and practitioners: utilisation, sessions, screenings, courses and
messages over a range of the clinic's local days, counted in the database, drawn as SVG
charts and downloadable as CSV."""
