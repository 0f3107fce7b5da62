"""The Gradio app of kb: ui.app builds it, ui.render escapes and renders, ui.uploads saves files safely."""
