"""The drawing page: draw a digit, watch the network's probabilities and look inside it.

``glassnet serve MODEL`` runs :func:`glassnet.interfaces.web.app.create_app` with uvicorn.
Everything the page needs (HTML, CSS, JavaScript) is in ``static/``: no CDN, no internet.
"""
