/**
 * The Log Service endpoint when `archive.sls.endpoint` is left out: the region this instance runs
 * in, from the ECS metadata service (as on every ACK node), and that region's internal endpoint,
 * which is what kube-eventer used on ACK and costs no Internet traffic.
 */

/** What one metadata read may take: the service answers at once or is not there. */
const TIMEOUT_MS = 2000

/** Region ids as Alibaba Cloud writes them (`cn-hangzhou`, `ap-southeast-1`). */
const REGION = /^[a-z]{2,}(-[a-z0-9]+){1,4}$/

/**
 * Reads `/latest/meta-data/region-id`. Rules: 1. a session token (IMDSv2) is asked for first and
 * sent when given, since hardened instances refuse reads without one; 2. the answer must look like
 * a region id, because it becomes a host name we connect to.
 */
export async function readRegionEndpoint(
  metadataUrl: string,
  doFetch: typeof fetch,
): Promise<string> {
  const base = metadataUrl.replace(/\/+$/, '')
  const headers: Record<string, string> = {}
  try {
    const token = await doFetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aliyun-ecs-metadata-token-ttl-seconds': '60' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const text = await token.text()
    if (token.status === 200 && text.length > 0 && text.length < 200) {
      headers['x-aliyun-ecs-metadata-token'] = text
    }
  } catch {
    // No token service: IMDSv1 reads still work where the instance is not hardened.
  }
  let answer: Response
  try {
    answer = await doFetch(`${base}/latest/meta-data/region-id`, {
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (err) {
    throw new Error(
      `archive.sls.endpoint is not set and the metadata service (${base}) cannot be reached to learn the region: set archive.sls.endpoint (${err instanceof Error ? err.message : err})`,
    )
  }
  const region = (await answer.text()).trim()
  if (answer.status !== 200 || !REGION.test(region)) {
    throw new Error(
      `archive.sls.endpoint is not set and the metadata service answered HTTP ${answer.status} without a region id: set archive.sls.endpoint`,
    )
  }
  return `${region}-intranet.log.aliyuncs.com`
}
