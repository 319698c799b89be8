import YAML from 'yaml'
import fs from 'node:fs'
const f = process.argv[2]
const text = fs.readFileSync(f, 'utf8')
let t0 = performance.now()
const v = f.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, {})
console.log('parse', performance.now()-t0, process.memoryUsage().rss/1e6)
