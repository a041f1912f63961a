// POST /whatsapp_business_profile with a profile_picture_handle that is one of our Resumable Upload
// handles (resumable.ts): the uploaded image becomes the number's profile photo, kept as the
// On-Premise photo is (routes/onprem-photo.ts: a media row of the channel, served at
// /v1/settings/profile/photo, which profile_picture_url then names). Meta takes a JPEG or PNG
// there; the On-Premise photo's 5 MB limit applies. A handle we did not issue is accepted and
// ignored, as before (the sandbox has no Meta to ask about it).
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../../deps.ts';
import { base62 } from '../../ids.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { fail } from '../validate/check.ts';
import { findHandle, uploadFilePath, type UploadSession } from './resumable.ts';
import { saveMedia, tmpDir, type MediaRow } from './store.ts';
import { SIZE_LIMITS } from './types.ts';

/** Kept until replaced (as the On-Premise photo): far beyond any retention. */
const KEEP_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/** The upload a profile_picture_handle names, checked to be an image a profile can show; undefined when the handle is not ours. */
export async function profilePictureUpload(deps: Deps, channel: ChannelRow, handle: string | undefined): Promise<UploadSession | undefined> {
  if (!handle || !channel.waba_account_id) return undefined;
  const upload = await findHandle(deps, channel.waba_account_id, handle);
  if (!upload) return undefined;
  if (upload.file_type !== 'image/jpeg' && upload.file_type !== 'image/png')
    throw fail('profile_picture_handle', `the uploaded file is ${upload.file_type}; a profile picture is an image/jpeg or image/png`);
  if (Number(upload.file_length) > SIZE_LIMITS.image) throw fail('profile_picture_handle', `the uploaded image is ${upload.file_length} bytes; a profile picture is at most ${SIZE_LIMITS.image} bytes`);
  return upload;
}

/** A copy of the uploaded file as a media row of the channel (the handle stays usable for templates). */
export async function mediaFromUpload(deps: Deps, channel: ChannelRow, upload: UploadSession): Promise<MediaRow> {
  await mkdir(tmpDir(deps), { recursive: true });
  const tmpPath = path.join(tmpDir(deps), `${base62(24)}.part`);
  await copyFile(uploadFilePath(deps, upload.id), tmpPath);
  try {
    const received = { tmpPath, size: Number(upload.file_length), sha256: upload.sha256 ?? '', head: Buffer.alloc(0) };
    return await saveMedia(deps, channel, received, { mime: upload.file_type, filename: upload.file_name || null, retentionMs: KEEP_MS });
  } finally {
    await rm(tmpPath, { force: true });
  }
}
