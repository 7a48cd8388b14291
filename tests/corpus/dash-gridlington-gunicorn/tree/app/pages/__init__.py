"""The dash pages module for the Vis system."""
