"""Draws Instances with moderngl (OpenGL 3.3 core): instanced unit meshes with simple lighting, a
checkered ground, translucent ghosts last. The same code draws into a window (app.py) or an offscreen
framebuffer (headless.py)."""

from __future__ import annotations

import moderngl
import numpy as np

from . import meshes
from .camera import Camera
from .scene import INSTANCE_FLOATS, Instances

LIT_VS = """
#version 330
uniform mat4 view_proj;
in vec3 in_position;
in vec3 in_normal;
in mat4 in_model;
in vec4 in_color;
out vec3 v_normal;
out vec3 v_world;
out vec4 v_color;
void main() {
    vec4 world = in_model * vec4(in_position, 1.0);
    v_world = world.xyz;
    v_normal = mat3(transpose(inverse(in_model))) * in_normal;
    v_color = in_color;
    gl_Position = view_proj * world;
}
"""

LIT_FS = """
#version 330
uniform vec3 eye;
uniform vec3 light_dir;
in vec3 v_normal;
in vec3 v_world;
in vec4 v_color;
out vec4 color;
void main() {
    vec3 n = normalize(v_normal);
    vec3 v = normalize(eye - v_world);
    if (dot(n, v) < 0.0) n = -n;  // open meshes (muscle tubes) lit from inside too
    float diffuse = max(dot(n, light_dir), 0.0);
    float fill = max(dot(n, -light_dir), 0.0) * 0.25;
    float spec = pow(max(dot(n, normalize(light_dir + v)), 0.0), 32.0) * 0.25;
    vec3 rgb = v_color.rgb * (0.32 + 0.68 * diffuse + fill) + spec;
    color = vec4(rgb, v_color.a);
}
"""

GROUND_VS = """
#version 330
uniform mat4 view_proj;
in vec3 in_position;
in vec3 in_normal;
out vec3 v_world;
void main() {
    v_world = in_position;
    gl_Position = view_proj * vec4(in_position, 1.0);
}
"""

GROUND_FS = """
#version 330
uniform vec3 eye;
in vec3 v_world;
out vec4 color;
void main() {
    float checker = mod(floor(v_world.x * 2.0) + floor(v_world.z * 2.0), 2.0);  // 0.5 m squares
    vec3 rgb = mix(vec3(0.78, 0.79, 0.80), vec3(0.62, 0.64, 0.66), checker);
    float fade = clamp(length(v_world.xz - eye.xz) / 40.0, 0.0, 1.0);  // into the sky colour far away
    color = vec4(mix(rgb, vec3(0.86, 0.89, 0.93), fade), 1.0);
}
"""

SKY = (0.86, 0.89, 0.93)
LIGHT = np.array([0.4, 0.85, 0.35]) / np.linalg.norm([0.4, 0.85, 0.35])


class Renderer:
    def __init__(self, ctx: moderngl.Context, max_instances: int = 4096):
        self.ctx = ctx
        self.lit = ctx.program(vertex_shader=LIT_VS, fragment_shader=LIT_FS)
        self.ground_prog = ctx.program(vertex_shader=GROUND_VS, fragment_shader=GROUND_FS)
        self.meshes, self.instance_buffers, self.vaos, self.capacity = {}, {}, {}, {}
        for kind, data in (("cube", meshes.cube()), ("sphere", meshes.sphere()), ("cylinder", meshes.cylinder())):
            self.meshes[kind] = (ctx.buffer(data.tobytes()), len(data))
            self._make_vao(kind, max_instances)
        ground = meshes.ground_quad()
        self.ground_vbo = ctx.buffer(ground.tobytes())
        self.ground_vao = ctx.vertex_array(self.ground_prog, [(self.ground_vbo, "3f 12x", "in_position")])

    def _make_vao(self, kind: str, capacity: int) -> None:
        vbo, _ = self.meshes[kind]
        if kind in self.instance_buffers:
            self.vaos[kind].release()
            self.instance_buffers[kind].release()
        ibo = self.ctx.buffer(reserve=capacity * INSTANCE_FLOATS * 4, dynamic=True)
        self.instance_buffers[kind], self.capacity[kind] = ibo, capacity
        self.vaos[kind] = self.ctx.vertex_array(self.lit, [(vbo, "3f 3f", "in_position", "in_normal"),
                                                           (ibo, "16f 4f/i", "in_model", "in_color")])

    def _draw(self, kind: str, rows: np.ndarray) -> None:
        if not len(rows):
            return
        if len(rows) > self.capacity[kind]:
            self._make_vao(kind, 2 * len(rows))
        self.instance_buffers[kind].write(np.ascontiguousarray(rows, np.float32).tobytes())
        self.vaos[kind].render(moderngl.TRIANGLES, vertices=self.meshes[kind][1], instances=len(rows))

    def render(self, instances: Instances, camera: Camera, size: tuple[int, int], ground: bool = True,
               origin: tuple[int, int] = (0, 0)) -> None:
        """Draws into the bound framebuffer, in the ``size`` pixels from ``origin`` (lower left)."""
        w, h = size
        ctx = self.ctx
        ctx.viewport = (*origin, w, h)
        ctx.clear(*SKY, 1.0, depth=1.0, viewport=(*origin, w, h))
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        ctx.disable(moderngl.BLEND)
        ctx.depth_mask = True
        view_proj = camera.projection(w / max(h, 1)) @ camera.view()
        vp = view_proj.T.astype(np.float32).tobytes()  # column-major for GLSL
        eye = tuple(float(x) for x in camera.eye())
        if ground:
            self.ground_prog["view_proj"].write(vp)
            self.ground_prog["eye"].value = eye
            self.ground_vao.render(moderngl.TRIANGLES)
        self.lit["view_proj"].write(vp)
        self.lit["eye"].value = eye
        self.lit["light_dir"].value = tuple(float(x) for x in LIGHT)
        for kind, rows in instances.opaque.items():
            self._draw(kind, rows)
        if instances.ghost:  # translucent, after everything opaque, without writing depth
            ctx.enable(moderngl.BLEND)
            ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
            ctx.depth_mask = False
            for kind, rows in instances.ghost.items():
                self._draw(kind, rows)
            ctx.depth_mask = True
            ctx.disable(moderngl.BLEND)
