"""Pure UI: data in, Dash component trees and plotly figures out. No I/O, no database,
no Flask. Every component id lives in ``components.ids``."""
