/** What a user types to confirm a restore, as the original tool asks for it. */
export const CONFIRM_PHRASE = 'DELETE ALL DATA';
