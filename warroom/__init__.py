"""warroom: a real-time war room for live-commerce sales teams."""
