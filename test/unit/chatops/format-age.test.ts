import t from 'tap'
import { formatSpan } from '../../../src/chatops/format-age.ts'
import { en } from '../../../src/i18n/en.ts'
import { zhCN } from '../../../src/i18n/zh-cn.ts'

const S = 1_000
const M = 60 * S
const H = 60 * M
const D = 24 * H

t.test('formatSpan: the largest unit, plus the next for days and hours', async (t) => {
  t.equal(formatSpan(0), '0s')
  t.equal(formatSpan(999), '0s')
  t.equal(formatSpan(45 * S), '45s')
  t.equal(formatSpan(3 * M + 12 * S), '3m')
  t.equal(formatSpan(2 * H), '2h')
  t.equal(formatSpan(2 * H + 5 * M + 9 * S), '2h 5m')
  t.equal(formatSpan(3 * D + 4 * H + 5 * M), '3d 4h')
  t.equal(formatSpan(7 * D), '7d')
  t.equal(formatSpan(-5 * S), '0s')
})

t.test('ago and until, in both languages', async (t) => {
  t.equal(en.ago(3 * M), '3m ago')
  t.equal(en.ago(0), 'just now')
  t.equal(en.ago(-5 * S), 'just now', 'a clock a little ahead is not "in the future"')
  t.equal(en.commands.until(45 * M), 'in 45m')
  t.equal(en.commands.until(-1), 'now')
  t.equal(zhCN.ago(3 * M), '3 分钟前')
  t.equal(zhCN.ago(0), '刚刚')
  t.equal(zhCN.span(2 * H + 5 * M), '2 小时 5 分钟')
  t.equal(zhCN.span(3 * D + 4 * H), '3 天 4 小时')
  t.equal(zhCN.commands.until(45 * M), '45 分钟后')
  t.equal(zhCN.commands.until(0), '现在')
})
