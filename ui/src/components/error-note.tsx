/** An error from the API, said in words where the user is looking (role=alert reads it out). */
export function ErrorNote(props: { error: string | null }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error}
    </p>
  );
}
