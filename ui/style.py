"""The app's stylesheet (a Python constant so it ships with the package without package-data rules)."""

CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#kb-header { align-items: center; margin-bottom: 4px; }
.kb-brand { display: flex; gap: 14px; align-items: center; padding: 6px 2px; }
.kb-logo { display: inline-flex; align-items: center; justify-content: center; width: 44px; height: 44px;
  border-radius: 12px; background: linear-gradient(135deg, #4f46e5, #7c3aed); color: white; font-weight: 800;
  font-size: 20px; letter-spacing: -0.5px; box-shadow: 0 4px 14px rgba(79, 70, 229, .35); }
.kb-name { font-size: 1.35rem; font-weight: 700; color: var(--body-text-color); }
.kb-tagline { font-size: .9rem; color: var(--body-text-color-subdued); }
.kb-status { font-size: .85rem; padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); }
.kb-status-ok::before { content: "●"; color: #16a34a; margin-right: 6px; }
.kb-status-busy::before { content: "◐"; color: #d97706; margin-right: 6px; }
.kb-status-error::before { content: "●"; color: #dc2626; margin-right: 6px; }
.kb-bar { height: 6px; margin-top: 6px; border-radius: 3px; background: var(--border-color-primary); overflow: hidden; }
.kb-bar > div { height: 100%; background: #6366f1; transition: width .4s; }
.kb-placeholder { text-align: center; color: var(--body-text-color-subdued); line-height: 1.6; }
.kb-cite { color: #4f46e5; font-weight: 700; font-size: .78em; margin-left: 1px; }
.kb-sources-inline { margin-top: 8px; padding-top: 6px; border-top: 1px dashed var(--border-color-primary);
  font-size: .85em; color: var(--body-text-color-subdued); }
.kb-file { font-family: var(--font-mono); font-size: .85em; color: var(--body-text-color-subdued); }
.kb-query { margin-top: 6px; font-size: .78em; color: var(--body-text-color-subdued); font-style: italic; }
.kb-note { color: var(--body-text-color-subdued); }
#kb-examples { gap: 6px; flex-wrap: wrap; }
#kb-examples button { flex: 0 1 auto !important; min-width: 0 !important; border-radius: 999px !important;
  font-weight: 500; }
.kb-panel-title { font-weight: 700; font-size: 1.05rem; margin: 4px 2px 6px; }
.kb-empty { padding: 18px; border: 1px dashed var(--border-color-primary); border-radius: 12px;
  color: var(--body-text-color-subdued); font-size: .92rem; line-height: 1.5; }
.kb-abstained { border-color: #f59e0b; background: rgba(245, 158, 11, .08); color: var(--body-text-color); }
.kb-cards { display: flex; flex-direction: column; gap: 10px; }
.kb-card { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px 14px;
  background: var(--background-fill-primary); box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.kb-card-head { display: flex; gap: 10px; align-items: flex-start; }
.kb-badge { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 24px; height: 24px;
  border-radius: 50%; background: #4f46e5; color: white; font-size: .8rem; font-weight: 700; }
.kb-title { font-weight: 650; line-height: 1.35; }
.kb-meta { margin: 4px 0 8px 34px; font-size: .8rem; color: var(--body-text-color-subdued); }
.kb-date, .kb-score { font-size: .95em; }
.kb-passage { margin-left: 34px; font-size: .9rem; line-height: 1.55; color: var(--body-text-color);
  white-space: pre-wrap; max-height: 220px; overflow-y: auto; }
mark.kb-mark { background: #fef08a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
mark#kb-focus { background: #fde047; outline: 2px solid #eab308; }
.kb-open { margin: 8px 0 0 34px; font-size: .8rem; color: #4f46e5; background: none; border: 1px solid #c7d2fe;
  border-radius: 8px; padding: 3px 10px; cursor: pointer; }
.kb-open:hover { background: #eef2ff; }
.kb-doc { border: 1px solid var(--border-color-primary); border-radius: 12px; margin-top: 12px;
  background: var(--background-fill-secondary); }
.kb-doc-head { position: sticky; top: 0; display: flex; flex-direction: column; gap: 2px; padding: 10px 14px;
  background: var(--background-fill-secondary); border-bottom: 1px solid var(--border-color-primary); }
.kb-doc-text { padding: 12px 14px; white-space: pre-wrap; font-size: .9rem; line-height: 1.6; }
#kb-build-summary { min-height: 24px; }
"""
