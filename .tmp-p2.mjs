import {Lexer, Parser, LineCounter, parseDocument} from 'yaml'
import fs from 'node:fs'
const text = fs.readFileSync('/tmp/spx/big.yaml', 'utf8')
let t0 = performance.now()
let n = 0
for (const tok of new Lexer().lex(text)) n++
console.log('lex', performance.now()-t0, n)
t0 = performance.now()
for (const tok of new Parser().parse(text)) n++
console.log('cst', performance.now()-t0, process.memoryUsage().rss/1e6)
