import type { Box } from './box.js';

/** A static site beside every scenario's broken one: a fix that breaks nginx for everyone breaks this too. */
export const OTHER_SITE = { name: 'status', host: 'status.example', url: 'http://status.example/' } as const;

/** Adds the static site (sites-available + its link, as Debian does) and reloads nginx. */
export function enableOtherSite(box: Box): void {
  box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 ${OTHER_SITE.host}\n`);
  box.write('/srv/status/index.html', 'status ok\n');
  box.write(
    `/etc/nginx/sites-available/${OTHER_SITE.name}`,
    `server {\n    listen 80;\n    server_name ${OTHER_SITE.host};\n    root /srv/status;\n    access_log /var/log/nginx/${OTHER_SITE.host}.access.log;\n}\n`,
  );
  box.run(['ln', '-sfn', `/etc/nginx/sites-available/${OTHER_SITE.name}`, `/etc/nginx/sites-enabled/${OTHER_SITE.name}`]);
  box.run(['nginx', '-s', 'reload']);
}
