"""Cases: an investigation opened on a network, followed by its stable id across runs."""
