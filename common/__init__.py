"""The ground floor: errors, run folders, worker pools, the compare report and video.

Everything else may import it; it imports nothing of the project.
"""
