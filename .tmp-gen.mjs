import YAML from 'yaml'
import fs from 'node:fs'
const N = 100000, L = 10, per = N / L
const tasks = []
for (let l = 0; l < L; l++) for (let i = 0; i < per; i++) {
  const t = { id: `t${l}_${i}`, command: `echo ${l} ${i}` }
  if (l > 0) t.dependsOn = [`t${l-1}_${i}`, `t${l-1}_${(i+1)%per}`]
  tasks.push(t)
}
const doc = { name: 'big', tasks }
fs.writeFileSync('/tmp/spx/big.json', JSON.stringify(doc, null, 2))
let t0 = performance.now()
fs.writeFileSync('/tmp/spx/big.yaml', YAML.stringify(doc))
console.log('stringify', performance.now()-t0)
