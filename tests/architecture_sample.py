"""A module that breaks the drawing rule three ways, for tests/test_architecture.py to catch (never imported)."""

import importlib


def draw():
    """Import what only the web layer may, inside a function."""
    import plotly.graph_objects as go
    from PIL import Image

    return Image, go, importlib.import_module("streamlit")
