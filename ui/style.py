"""The app's stylesheet (a Python constant so it ships with the package without package-data rules).

Icons are inline SVG used as CSS masks, coloured by ``currentColor``: they render on machines without an emoji
font, and the chat's HTML sanitizer sees only an empty ``<span class="kb-icon kb-icon-NAME">``.
"""

from urllib.parse import quote

# Feather-style strokes on a 24x24 grid.
_ICON_PATHS = {
    "check": "<polyline points='20 6 9 17 4 12'/>",
    "warn": "<path d='M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86a2 2 0 0 0-3.42 0z'/>"
            "<line x1='12' y1='9' x2='12' y2='13'/><line x1='12' y1='17' x2='12.01' y2='17'/>",
    "info": "<circle cx='12' cy='12' r='10'/><line x1='12' y1='16' x2='12' y2='12'/>"
            "<line x1='12' y1='8' x2='12.01' y2='8'/>",
    "search": "<circle cx='11' cy='11' r='8'/><line x1='21' y1='21' x2='16.65' y2='16.65'/>",
    "edit": "<path d='M12 20h9'/><path d='M16.5 3.5a2.12 2.12 0 0 1 3 3L7 19l-4 1 1-4z'/>",
    "trash": "<polyline points='3 6 5 6 21 6'/><path d='M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6m3 0V4a2 2 0 "
             "0 1 2-2h4a2 2 0 0 1 2 2v2'/>",
    "open": "<path d='M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6'/><polyline points='15 3 21 3 21 9'/>"
            "<line x1='10' y1='14' x2='21' y2='3'/>",
    "close": "<line x1='18' y1='6' x2='6' y2='18'/><line x1='6' y1='6' x2='18' y2='18'/>",
}


def _icon_rules() -> str:
    rules = []
    for name, body in _ICON_PATHS.items():
        svg = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='black' "
               f"stroke-width='2.2' stroke-linecap='round' stroke-linejoin='round'>{body}</svg>")
        url = f'url("data:image/svg+xml,{quote(svg)}")'
        rules.append(f".kb-icon-{name} {{ -webkit-mask-image: {url}; mask-image: {url}; }}")
    return "\n".join(rules)


CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#kb-header { align-items: center; margin-bottom: 4px; }
.kb-brand { display: flex; gap: 14px; align-items: center; padding: 6px 2px; }
.kb-logo { display: inline-flex; align-items: center; justify-content: center; width: 44px; height: 44px;
  border-radius: 12px; background: linear-gradient(135deg, #4f46e5, #7c3aed); color: white; font-weight: 800;
  font-size: 20px; letter-spacing: -0.5px; box-shadow: 0 4px 14px rgba(79, 70, 229, .35); flex: none; }
.kb-name { font-size: 1.35rem; font-weight: 700; color: var(--body-text-color); }
.kb-tagline { font-size: .9rem; color: var(--body-text-color-subdued); }
.kb-status { font-size: .85rem; padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); overflow-wrap: anywhere; }
.kb-status::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%;
  margin-right: 7px; vertical-align: 1px; background: #16a34a; }
.kb-status-busy::before, .kb-status-warn::before { background: #d97706; }
.kb-status-error::before { background: #dc2626; }
.kb-bar { height: 6px; margin-top: 6px; border-radius: 3px; background: var(--border-color-primary); overflow: hidden; }
.kb-bar > div { height: 100%; background: #6366f1; transition: width .4s; }
.kb-icon { display: inline-block; width: 1.05em; height: 1.05em; vertical-align: -0.16em;
  background-color: currentColor;
  -webkit-mask-repeat: no-repeat; mask-repeat: no-repeat; -webkit-mask-size: contain; mask-size: contain;
  -webkit-mask-position: center; mask-position: center; flex: none; }
.kb-caret { display: inline-block; width: .5em; height: 1em; margin-left: 2px; vertical-align: -0.15em;
  background: #6366f1; animation: kb-blink 1s steps(2, start) infinite; }
@keyframes kb-blink { to { visibility: hidden; } }
.kb-placeholder { text-align: center; color: var(--body-text-color-subdued); line-height: 1.6; }
#kb-chat .message-content { overflow-wrap: anywhere; }
.kb-answer, .kb-question { white-space: pre-wrap; }
a.kb-cite { color: #4f46e5; font-weight: 700; font-size: .8em; vertical-align: super; line-height: 0;
  text-decoration: none; padding: 0 1px; border-radius: 4px; cursor: pointer; }
a.kb-cite:hover, a.kb-cite:focus { background: #e0e7ff; text-decoration: underline; }
sup.kb-cite { color: #4f46e5; font-weight: 700; font-size: .78em; margin-left: 1px; }
a.kb-link { color: #4338ca; text-decoration: underline; overflow-wrap: anywhere; }
.kb-refs { margin-top: 8px; padding-top: 6px; border-top: 1px dashed var(--border-color-primary);
  font-size: .85em; color: var(--body-text-color-subdued); }
.kb-ref a.kb-cite { vertical-align: baseline; font-size: 1em; }
.kb-file { font-family: var(--font-mono); font-size: .85em; color: var(--body-text-color-subdued);
  overflow-wrap: anywhere; }
.kb-confidence { margin-top: 4px; font-size: .78em; color: var(--body-text-color-subdued); }
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
  background: var(--background-fill-primary); box-shadow: 0 1px 2px rgba(0,0,0,.04); scroll-margin: 12px;
  transition: box-shadow .3s, border-color .3s, background-color .3s; }
.kb-card.kb-card-focus { border-color: #6366f1; background: #eef2ff; box-shadow: 0 0 0 3px rgba(99, 102, 241, .35); }
.kb-card-head { display: flex; gap: 10px; align-items: flex-start; }
.kb-badge { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 24px; height: 24px;
  border-radius: 50%; background: #4f46e5; color: white; font-size: .8rem; font-weight: 700; }
.kb-title { font-weight: 650; line-height: 1.35; overflow-wrap: anywhere; }
.kb-meta { margin: 4px 0 8px 34px; font-size: .8rem; color: var(--body-text-color-subdued); }
.kb-cards-for { margin: 0 0 8px; font-size: .85rem; color: var(--body-text-color-subdued);
  overflow-wrap: anywhere; }
.kb-date, .kb-score { font-size: .95em; }
.kb-passage { margin-left: 34px; font-size: .9rem; line-height: 1.55; color: var(--body-text-color);
  white-space: pre-wrap; max-height: 220px; overflow-y: auto; overflow-wrap: anywhere; }
mark.kb-mark { background: #fef08a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
mark#kb-focus { background: #fde047; outline: 2px solid #eab308; }
.kb-open { margin: 8px 0 0 34px; font-size: .8rem; color: #4f46e5; background: none; border: 1px solid #c7d2fe;
  border-radius: 8px; padding: 3px 10px; cursor: pointer; }
.kb-open:hover { background: #eef2ff; }
.kb-doc-overlay { position: fixed; inset: 0; z-index: 1000; display: flex; align-items: center;
  justify-content: center; padding: 16px; background: rgba(15, 23, 42, .45); }
.kb-doc { width: min(900px, 100%); max-height: min(86vh, 100%); display: flex; flex-direction: column;
  border: 1px solid var(--border-color-primary); border-radius: 14px; background: var(--background-fill-primary);
  box-shadow: 0 20px 50px rgba(0, 0, 0, .3); overflow: hidden; }
.kb-doc-head { display: flex; gap: 12px; align-items: flex-start; justify-content: space-between; padding: 12px 16px;
  background: var(--background-fill-secondary); border-bottom: 1px solid var(--border-color-primary); }
.kb-doc-names { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.kb-doc-close { flex: none; display: inline-flex; gap: 6px; align-items: center; font-size: .85rem; cursor: pointer;
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 4px 12px;
  background: var(--background-fill-primary); color: var(--body-text-color); }
.kb-doc-close:hover { background: #eef2ff; }
.kb-doc-notice { padding: 8px 16px; font-size: .85rem; background: #fef3c7; color: #78350f;
  border-bottom: 1px solid var(--border-color-primary); }
.kb-doc-text { padding: 12px 16px; white-space: pre-wrap; font-size: .9rem; line-height: 1.6; overflow-y: auto;
  overflow-wrap: anywhere; }
#kb-docview { padding: 0 !important; min-height: 0 !important; border: none !important; }
/* Documents: fixed column shares, never wider than the page; under 640 px one card per document. */
#kb-docs { overflow: visible; }
.kb-table { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: .9rem; margin: 0; }
#kb-docs .kb-table, #kb-docs .kb-table tr, #kb-docs .kb-table th, #kb-docs .kb-table td { border: none !important; }
#kb-docs .kb-table th { border-bottom: 2px solid var(--border-color-primary) !important; }
#kb-docs .kb-table td { border-bottom: 1px solid var(--border-color-primary) !important; }
.kb-unit { display: none; }
.kb-table th { text-align: left; font-weight: 650; font-size: .8rem; color: var(--body-text-color-subdued);
  padding: 8px 10px; border-bottom: 2px solid var(--border-color-primary); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.kb-table td { padding: 8px 10px; border-bottom: 1px solid var(--border-color-primary); vertical-align: top;
  overflow-wrap: anywhere; }
.kb-table .kb-c-title { width: 36%; }
.kb-table .kb-c-file { width: 24%; font-family: var(--font-mono); font-size: .82rem; }
.kb-table .kb-c-num { width: 10%; text-align: right; }
.kb-table .kb-c-date { width: 11%; }
.kb-table .kb-c-when { width: 11%; }
.kb-table .kb-c-act { width: 8%; text-align: right; }
.kb-table th.kb-c-file { font-family: inherit; font-size: .8rem; }
.kb-table time { border-bottom: 1px dotted var(--body-text-color-subdued); cursor: help; }
.kb-table tr.kb-failed td { background: rgba(245, 158, 11, .08); }
.kb-table tr.kb-failed .kb-icon { color: #d97706; }
.kb-reason { color: var(--body-text-color); }
.kb-del { display: inline-flex; align-items: center; gap: 4px; font-size: .8rem; cursor: pointer; color: #b91c1c;
  background: none; border: 1px solid #fecaca; border-radius: 8px; padding: 3px 8px; }
.kb-del:hover { background: #fef2f2; }
.kb-del-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.kb-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 640px) {
  .kb-table, .kb-table tbody, .kb-table tr, .kb-table td { display: block; width: 100% !important; }
  .kb-table thead { display: none; }
  #kb-docs .kb-table tr { position: relative; border: 1px solid var(--border-color-primary) !important;
    border-radius: 10px;
    margin-bottom: 8px; padding: 6px 0; }
  .kb-table td { border: none; padding: 2px 12px; text-align: left !important; }
  .kb-table td.kb-c-title { font-weight: 650; padding-right: 56px; }
  .kb-table td.kb-c-num, .kb-table td.kb-c-date, .kb-table td.kb-c-when { display: inline-block;
    width: auto !important; padding-right: 4px; color: var(--body-text-color-subdued); font-size: .82rem; }
  .kb-unit { display: inline; }
  #kb-docs .kb-table td { border: none !important; }
  .kb-table td.kb-c-date:empty { display: none; }
  .kb-table td.kb-c-act { position: absolute; top: 6px; right: 0; width: auto !important; }
}
.kb-msg { padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary); margin: 4px 0;
  font-size: .9rem; overflow-wrap: anywhere; }
.kb-msg ul { margin: 4px 0 0 22px; padding: 0; list-style: disc; }
.kb-msg-ok { border-color: #86efac; background: rgba(22, 163, 74, .07); }
.kb-msg-ok > .kb-icon { color: #16a34a; }
.kb-msg-warn { border-color: #fcd34d; background: rgba(245, 158, 11, .09); }
.kb-msg-warn > .kb-icon { color: #d97706; }
.kb-msg-error { border-color: #fca5a5; background: rgba(220, 38, 38, .07); }
.kb-msg-error > .kb-icon { color: #dc2626; }
.kb-msg-info > .kb-icon { color: #4f46e5; }
#kb-notice:not(:has(.kb-msg)) { display: none; }  /* no gap above the tabs while there is no notice */
#kb-notice .kb-msg { cursor: pointer; position: relative; padding-right: 110px; }
#kb-notice .kb-msg::after { content: "click to dismiss"; position: absolute; top: 9px; right: 12px;
  font-size: .75rem; color: var(--body-text-color-subdued); }
#kb-confirm { align-items: center; flex-wrap: wrap; }
/* the question takes the row's width on a phone, its buttons go below it (side by side, the text was one
   letter wide and the row 1,000 px tall) */
#kb-confirm > #kb-confirm-text { flex: 1 1 260px; min-width: min(260px, 100%); }
@media (max-width: 640px) { #kb-header { flex-direction: column; align-items: stretch; } }
#kb-build-summary { min-height: 24px; }
""" + _icon_rules()
