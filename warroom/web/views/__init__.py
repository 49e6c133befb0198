"""One module per screen: its panels as HTML from templates, pure functions of the figures."""
