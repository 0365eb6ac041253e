import type { EditorUser } from '@tandem/editor';
import { USER_COLORS } from './local-user.js';

/** Props of {@link UserSettings}. */
export interface UserSettingsProps {
  readonly user: EditorUser;
  readonly onChange: (user: EditorUser) => void;
}

/** The local user's name and color, as others see them on carets and in the presence bar. */
export function UserSettings({ user, onChange }: UserSettingsProps) {
  return (
    <div className="user-settings">
      <label className="user-settings__color" title="Your color" style={{ backgroundColor: user.color }}>
        <span className="visually-hidden">Your color</span>
        <select
          data-testid="user-color"
          value={user.color}
          onChange={(event) => onChange({ ...user, color: event.target.value })}
        >
          {(USER_COLORS.includes(user.color) ? USER_COLORS : [user.color, ...USER_COLORS]).map((color) => (
            <option key={color} value={color} style={{ backgroundColor: color }}>
              {color}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="visually-hidden">Your name</span>
        <input
          data-testid="user-name"
          className="user-settings__name"
          value={user.name}
          maxLength={40}
          placeholder="Your name"
          aria-label="Your name"
          onChange={(event) => onChange({ ...user, name: event.target.value })}
        />
      </label>
    </div>
  );
}
