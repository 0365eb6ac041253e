import { initials, type PresenceUser } from './presence.js';

/** Props of {@link PresenceBar}. */
export interface PresenceBarProps {
  readonly users: readonly PresenceUser[];
}

/** Avatars with initials of everyone in the document; the local user is marked "you". */
export function PresenceBar({ users }: PresenceBarProps) {
  return (
    <ul className="tandem-presence" data-testid="presence-bar" aria-label="People in this document">
      {users.map((user) => (
        <li
          key={user.clientId}
          className="tandem-presence__user"
          data-testid="presence-user"
          data-name={user.name}
          data-local={user.isLocal ? 'true' : undefined}
          title={user.isLocal ? `${user.name} (you)` : user.name}
        >
          <span className="tandem-presence__avatar" style={{ backgroundColor: user.color }} aria-hidden="true">
            {initials(user.name)}
          </span>
          <span className="tandem-presence__name">{user.name} </span>
          {user.isLocal ? <span className="tandem-presence__you">(you)</span> : null}
        </li>
      ))}
    </ul>
  );
}
