"""The report page's stylesheet and script, inlined into every report (no external requests)."""

CSS = """
:root{--ink:#1d2330;--mute:#667085;--line:#e4e7ec;--bg:#f7f8fa;--card:#fff;--accent:#3b5bdb;
--ok:#2f9e44;--bad:#e03131;--unsure:#f08c00;--okbg:#d3f9d8;--badbg:#ffe3e3;--unsurebg:#fff3bf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.5;
font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:linear-gradient(120deg,#1d2b64,#3b5bdb);color:#fff;padding:28px 32px 22px}
header.top h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top .sub{opacity:.85;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#fffe;backdrop-filter:blur(6px);
border-bottom:1px solid var(--line);padding:8px 32px;display:flex;gap:18px;flex-wrap:wrap}
nav a{color:var(--mute);text-decoration:none;font-size:13px;font-weight:600}
nav a:hover{color:var(--accent)}
main{max-width:1280px;margin:0 auto;padding:8px 32px 64px}
section{margin-top:34px}
h2{font-size:19px;margin:0 0 14px;font-weight:650}
h3{font-size:15px;margin:0 0 8px;font-weight:650}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-top:-18px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;
box-shadow:0 1px 2px #1018280d}
.tile .n{font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}
.tile .l{font-size:12px;color:var(--mute);text-transform:uppercase;letter-spacing:.04em}
.panel{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;
box-shadow:0 1px 2px #1018280d}
.funnel .row{display:grid;grid-template-columns:170px 1fr 230px;gap:14px;align-items:center;
padding:7px 0;border-bottom:1px dashed var(--line)}
.funnel .row:last-child{border-bottom:0}
.funnel .name{font-weight:600;font-size:14px;overflow-wrap:anywhere}
.funnel .track{background:#eef1f6;border-radius:6px;height:22px;position:relative;overflow:hidden}
.funnel .fill{background:linear-gradient(90deg,#4c6ef5,#3b5bdb);height:100%;border-radius:6px}
.funnel .fill.final{background:linear-gradient(90deg,#37b24d,#2f9e44)}
.funnel .count{position:absolute;left:8px;top:1px;font-size:12px;color:#fff;font-weight:600;
text-shadow:0 0 3px #0006}
.funnel .why{font-size:12px;color:var(--mute)}
.funnel .why b{color:var(--bad);font-weight:600}
.scores-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr));gap:16px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:8px}
@media (max-width:720px){.charts{grid-template-columns:1fr}
.funnel .row{grid-template-columns:1fr}main{padding:8px 14px 40px}}
svg.chart{width:100%;height:auto;display:block}
svg .axis{stroke:#98a2b3;stroke-width:1}
svg .tick{font-size:10px;fill:var(--mute)}
svg .bar{fill:#4c6ef5}svg .bar-out{fill:#ffa8a8}
svg .reject-zone{fill:#fff5f5}
svg .threshold{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}
svg .thr-label{font-size:11px;fill:var(--bad);font-weight:600}
svg .curve{fill:none;stroke:var(--accent);stroke-width:2}
svg .dot{fill:var(--bad)}
.caption{font-size:12px;color:var(--mute);text-align:center;margin-top:2px}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line)}
th{color:var(--mute);font-weight:600;font-size:12px}
tr.current td{background:#edf2ff;font-weight:600}
.slider{display:flex;gap:10px;align-items:center;margin-top:10px;font-size:13px}
.slider input{flex:1}
.tabs{display:flex;gap:8px;margin-bottom:14px;flex-wrap:wrap}
.tabs button{border:1px solid var(--line);background:var(--card);border-radius:999px;
padding:5px 14px;font:inherit;font-size:13px;cursor:pointer;color:var(--ink)}
.tabs button.on{background:var(--ink);color:#fff;border-color:var(--ink)}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:14px}
.card{margin:0;background:var(--card);border:1px solid var(--line);border-radius:12px;
overflow:hidden;display:flex;flex-direction:column;box-shadow:0 1px 2px #1018280d}
.card img{width:100%;aspect-ratio:4/3;object-fit:cover;background:#eef1f6;display:block}
.card figcaption{padding:10px 12px 12px;font-size:13px;display:flex;flex-direction:column;gap:6px}
.card p{margin:0;overflow-wrap:anywhere}
.noimg{aspect-ratio:4/3;display:flex;flex-direction:column;gap:6px;align-items:center;
justify-content:center;background:repeating-linear-gradient(45deg,#fff5f5,#fff5f5 10px,#ffe3e3 10px,#ffe3e3 20px);
color:var(--bad);font-size:13px;text-align:center;padding:8px}
.card.reject .noimg{aspect-ratio:auto;min-height:92px}
.noimg .stage{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--mute)}
.noimg .reason{font-weight:700;font-size:15px}
.tag{display:inline-block;font-size:10px;text-transform:uppercase;letter-spacing:.05em;
background:#eef1f6;color:var(--mute);border-radius:4px;padding:1px 6px;margin-right:6px;
font-weight:700;vertical-align:1px}
.tag-syn{background:#e5dbff;color:#5f3dc4}.tag-fix{background:#d3f9d8;color:#1b5e20}
.syn.failed{color:var(--mute);font-style:italic}
.rate{display:inline-block;margin-left:6px;font-size:11px;color:var(--mute)}
mark.claim{border-radius:3px;padding:0 2px}
mark.v-ok{background:var(--okbg);color:#1b5e20;box-shadow:inset 0 -2px var(--ok)}
mark.v-bad{background:var(--badbg);color:#8a1c1c;box-shadow:inset 0 -2px var(--bad);text-decoration:line-through}
mark.v-none{background:none;box-shadow:inset 0 -1px #98a2b3}
mark.v-unsure{background:var(--unsurebg);color:#7a4d00;box-shadow:inset 0 -2px var(--unsure)}
.legend{font-size:12px;color:var(--mute);margin:-6px 0 12px}
.legend mark{margin:0 4px}
.scores{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:11px;color:var(--mute)}
.scores b{color:var(--ink);font-weight:600}
.key,.url{font:11px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--mute);
overflow-wrap:anywhere}
.nums{color:var(--ink)}
.detail{color:var(--mute);font-size:12px}
.docs{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr));gap:16px}
article.doc{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 20px;
box-shadow:0 1px 2px #1018280d;font-family:Georgia,"Times New Roman",serif;font-size:15px}
article.doc header{font-family:inherit;margin-bottom:8px;display:flex;gap:6px;align-items:center}
article.doc p{margin:0 0 10px}
.docimg{margin:0 0 12px;position:relative}
.docimg img{max-width:100%;border-radius:8px;display:block}
.docimg .pos{position:absolute;left:6px;top:6px;background:#000a;color:#fff;font:11px sans-serif;
padding:1px 6px;border-radius:4px}
.docimg.missing{font:12px sans-serif;color:var(--mute);border:1px dashed var(--line);padding:8px;
border-radius:8px}
.muted{color:var(--mute);font-size:13px}
pre{background:#0f172a;color:#e2e8f0;border-radius:10px;padding:14px;overflow:auto;font-size:12px}
.badge{font-size:11px;border-radius:999px;padding:1px 8px;font-weight:700}
.badge.warn{background:var(--unsurebg);color:#7a4d00}.badge.ok{background:var(--okbg);color:#1b5e20}
footer{margin-top:40px;color:var(--mute);font-size:12px;text-align:center}
"""

JS = """
document.querySelectorAll('.tabs button').forEach(function(b){
  b.addEventListener('click',function(){
    var f=b.dataset.filter;
    document.querySelectorAll('.tabs button').forEach(function(o){o.classList.toggle('on',o===b)});
    document.querySelectorAll('.gallery .card').forEach(function(c){
      var show=f==='all'||c.dataset.kind===f||c.dataset.stage===f;
      c.style.display=show?'':'none';
    });
  });
});
function keptAt(points,t){
  var best=points[0];
  for(var i=1;i<points.length;i++){
    if(Math.abs(points[i][0]-t)<Math.abs(best[0]-t)){best=points[i]}
  }
  return best;
}
document.querySelectorAll('.slider').forEach(function(s){
  var h=JSON.parse(s.dataset.curve),input=s.querySelector('input'),out=s.querySelector('output');
  function upd(){
    var p=keptAt(h.points,parseFloat(input.value)),t=p[0],f=p[1];
    out.textContent=(h.keep_above?'\u2265 ':'\u2264 ')+(+t.toPrecision(3))+': keeps '+
      Math.round(f*h.seen).toLocaleString()+' of '+h.seen.toLocaleString()+' ('+(100*f).toFixed(1)+'%)';
  }
  input.addEventListener('input',upd);upd();
});
"""
