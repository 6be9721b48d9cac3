"""The embedded AWS sandbox: moto's server plus our emulation of what it lacks."""
