/**
 * Times in messages, in the process's zone (TZ): the day is left out on the same day, the year in
 * the same year, and the offset follows the zone's rules at that instant (half hours, negative
 * offsets, summer time).
 */
import t from 'tap'
import { formatClock, formatStamp } from '../../../src/notify/format-time.ts'
import { inZone } from '../../helpers/time-zone.ts'

const at = Date.UTC(2026, 10, 24, 3, 6, 5)
const H = 3_600_000

t.test('UTC: the clock, then the date once the day or the year differs', async (t) => {
  inZone(t, 'UTC')
  t.equal(formatClock(at), '03:06')
  t.equal(formatStamp(at, at + H), '03:06:05')
  t.equal(formatStamp(at, at + 24 * H), '11-24 03:06:05')
  t.equal(formatStamp(at, Date.UTC(2027, 0, 1)), '2026-11-24 03:06:05')
  t.equal(formatStamp(at, at, { zone: true }), '03:06:05 UTC')
})

t.test('the zone decides the day: 03:06 UTC is already 11:06 in Shanghai', async (t) => {
  inZone(t, 'Asia/Shanghai')
  t.equal(formatClock(at), '11:06')
  t.equal(formatStamp(at, at, { zone: true }), '11:06:05 UTC+8')
  // 23:30 UTC on the 23rd is the 24th in Shanghai: the same day as `at` there.
  t.equal(formatStamp(Date.UTC(2026, 10, 23, 23, 30), at), '07:30:00')
})

t.test('half-hour and negative offsets, and summer time, are shown as they are', async (t) => {
  t.test('India', async (t) => {
    inZone(t, 'Asia/Kolkata')
    t.equal(formatStamp(at, at, { zone: true }), '08:36:05 UTC+5:30')
  })
  t.test('Newfoundland in winter and in summer', async (t) => {
    inZone(t, 'America/St_Johns')
    t.equal(formatStamp(at, at, { zone: true }), '23:36:05 UTC-3:30')
    const july = Date.UTC(2026, 6, 1, 12)
    t.equal(formatStamp(july, july, { zone: true }), '09:30:00 UTC-2:30')
  })
})
