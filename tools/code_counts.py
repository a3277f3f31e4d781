#!/usr/bin/env python3
"""Counts issue 17 tracks in a source tree: `Result<_, String>` and `map_err(|e| e.to_string())`
(regex, tests included), `.state()` / `.oxigraph()` calls outside `catalog/`, and functions over
80 lines (brace matching; tests, benches and `#[cfg(test)]` modules excluded).

Usage: python3 tools/code_counts.py <tree> [N]   (N: also list the N longest functions)
"""
import re,sys,os,subprocess
root=sys.argv[1]
files=[]
for d,_,fs in os.walk(root):
    if '/target' in d or 'node_modules' in d or '/.git' in d: continue
    for f in fs:
        if f.endswith('.rs'): files.append(os.path.join(d,f))
long=[]; res=0; maperr=0; state=0; oxi=0
for f in files:
    src=open(f).read()
    rel=os.path.relpath(f,root)
    res+=len(re.findall(r'Result<[^;{]*?,\s*String>',src))
    maperr+=len(re.findall(r'map_err\(\|(e|error)\| (e|error)\.to_string\(\)\)',src))
    if not rel.startswith('catalog/'):
        state+=len(re.findall(r'\.state\(\)',src)); oxi+=len(re.findall(r'\.oxigraph\(\)',src))
    if rel.startswith('tests/') or rel.startswith('benches/'): continue
    lines=src.split('\n')
    # skip test modules: stop at '#[cfg(test)]'
    cut=len(lines)
    for i,l in enumerate(lines):
        if l.startswith('#[cfg(test)]'): cut=i; break
    i=0
    while i<cut:
        l=lines[i]
        m=re.match(r'\s*(pub(\([a-z]+\))? )?(async )?(const )?fn (\w+)',l)
        if m and not l.strip().endswith(';'):
            # find opening brace
            j=i; depth=0; started=False
            while j<cut:
                for ch in lines[j]:
                    if ch=='{': depth+=1; started=True
                    elif ch=='}': depth-=1
                if started and depth==0: break
                if not started and lines[j].rstrip().endswith(';'): break
                j+=1
            n=j-i+1
            if started and n>80: long.append((n,rel,m.group(5)))
            i=i+1 if not started else j+1
            continue
        i+=1
print(f"Result<_, String>: {res}; map_err(to_string): {maperr}; .state() outside catalog: {state}; .oxigraph() outside catalog: {oxi}; functions over 80 lines: {len(long)}")
for n,f,name in sorted(long,reverse=True)[:int(sys.argv[2]) if len(sys.argv)>2 else 0]: print(n,f,name)
