"""The web layer: everything that draws (Streamlit, plotly, Pillow) and nothing else does. Pages import only from here."""
