/**
 * The errno codes that mean a link of the asked kind cannot be made here, so the caller copies
 * instead. One list for every place that links a stored blob: storage-local's linkTo and core's
 * linking threads (threaded-copy-out.ts, whose inline worker source takes them as JSON).
 */

/**
 * What copyFile with COPYFILE_FICLONE_FORCE answers where the filesystem cannot clone (ext4,
 * tmpfs), across filesystems, or where the kernel lacks the call.
 */
export const NO_REFLINK_CODES: readonly string[] = ['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY', 'EPERM']

/**
 * What link answers across filesystems, for a file another user owns (fs.protected_hardlinks),
 * at the link-count limit, or on a filesystem without hard links.
 */
export const NO_HARDLINK_CODES: readonly string[] = ['EXDEV', 'EPERM', 'EACCES', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP']
